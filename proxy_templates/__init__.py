"""The Kamailio adapter: ``kamailio.cfg`` and ``dispatcher.list``, from templates.

Like the Asterisk files, the proxy's configuration is generated from the list
of pbx nodes and never edited by hand.
"""
