"""A member's app installations: ``models`` (Device), ``service`` (register with a cap per
member, list, unregister), ``schemas`` and ``api`` (``/api/v1/me/devices``)."""
