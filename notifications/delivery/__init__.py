"""One push to one device, from its making to what became of it.

``models`` (Delivery); ``fanout`` (a campaign's recipients -> deliveries and send jobs);
``service`` (writing deliveries, the send jobs: claim, send through the app's sender, record
each outcome, retry later; the sweep; the opens); ``tasks`` (the outbox handlers and the beat
task); ``schemas`` and ``api`` (``/api/v1/me/notifications/{id}/opened``).
"""
