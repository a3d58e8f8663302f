"""Domain shared by the bot, the API and the scheduler."""
