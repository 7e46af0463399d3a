"""Marketing pushes to a segment: ``models`` (Campaign), ``service`` (compose, send now or at a
time, count the outcomes), ``schemas`` and ``api`` (``/api/v1/admin/campaigns``). The fan-out
itself is ``notifications.delivery.fanout``."""
