"""Holdout groups: a share of a campaign's or an offer's audience held back, to measure what the
campaign or the offer changed (analytics' lift compares the two groups).

- `rules`: who is held back: a keyed hash of the subject and the member, so the choice is
  random across members, the same every time it is asked, and unguessable without the salt;
- `models`: the recorded groups, one row per member of an audience (held out or treated);
- `service`: recording an audience's groups, once.
"""
