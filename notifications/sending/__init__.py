"""Sending pushes, with no Flask and no database: what this package knows of FCM.

- ``push``: one push to one device and the firebase-admin ``Message`` it becomes;
- ``outcomes``: what became of each push, read from firebase-admin's responses;
- ``sender``: what every sender does, and the logging sender of development;
- ``fcm``: the sender through firebase-admin (``send_each_async`` over HTTP/2, or threads);
- ``firebase``: firebase-admin apps and the seams past its public API;
- ``factory``: the sender the settings ask for.

The arrows point one way: ``factory`` -> ``fcm`` -> ``firebase``, ``outcomes`` -> ``push``.
"""
