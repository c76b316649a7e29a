"""The panoramisk adapter: AMI (reloads, health) and the FastAGI route."""
