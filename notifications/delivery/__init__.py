"""One push to one device, from its making to what became of it.

``models`` (Delivery); ``fanout`` (a campaign's recipients -> deliveries and send jobs);
``service`` (writing deliveries and their send jobs, the sweep, the opens); ``send_jobs``
(claim the due deliveries, send them through the app's sender, record each outcome, retry
later; batches overlap on PostgreSQL); ``tasks`` (the outbox handlers and the beat task);
``schemas`` and ``api`` (``/api/v1/me/notifications/{id}/opened``).
"""
