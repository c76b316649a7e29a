"""Failover voicemail: one app_voicemail box per line, custom prompts, email notices.

* ``boxes``: keeps the generated ``voicemail_continuity.conf`` in step with the lines.
* ``prompts`` and ``audio``: a line's custom prompt, converted with sox.
* ``spool``: reads the messages app_voicemail left in its spool.
* ``notifier`` and ``mail``: emails every new message, retrying until it went out.
* ``service``: the admin operations the CLI calls; ``plugin`` builds it all.
"""
