"""The operators' review queue: flagged referrals approved (granted exactly once) or rejected."""
