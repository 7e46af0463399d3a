"""Pushes about the member's own activity: points earned, tier changed, challenge completed,
contest won, an offer ending soon.

``subscribers`` turn the core's and the games' events into outbox jobs; ``service`` runs a job
(the member's switch, the devices, the text in the member's language) and finds the offers to
remind of; ``tasks`` registers the job and the reminders' beat task; ``models``, ``schemas``
and ``api`` are the member's switches (``/api/v1/me/notification-preferences``). The texts are
``notifications.messages``.
"""
