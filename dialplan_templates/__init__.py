"""Generated-dialplan adapter: Jinja templates and the code that renders and writes them."""
