"""One aiogram Router per feature, included in this order by bot/setup.py."""
