"""The ARI adapter: the only code that speaks the Asterisk REST Interface."""
