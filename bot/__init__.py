"""The Telegram bot: aiogram routers (one per feature), keyboards, states, middlewares."""
