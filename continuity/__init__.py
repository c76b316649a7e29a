"""Call continuity for Asterisk: the routing core and the composition root."""
