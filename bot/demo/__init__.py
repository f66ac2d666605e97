"""The browser simulator of `kesu demo` (bot/demo/app.py, page.html)."""
