"""The games' pure rules: no Flask, no database, no clock of their own.

- `quiz_scoring`: a submission checked, scored and priced; deadlines; when answers show.
- `windows`: a challenge's windows (fixed, weekly, monthly) and streak periods, in the
  member's timezone.
- `progress`: a challenge's progress from events, held rewards, refunds that un-complete.
- `draw`: the verifiable sweepstakes draw (commitment, seed, entry digest, winners).
- `standings`: the leaderboard's tie rule and score bounds.
- `prizes`: prize bands and who wins what.
"""
