"""A referral's life: joined at sign-up, qualified on the friend's first purchase, rewarded
once the hold has passed, or flagged/rejected with a reason; reversed by a refund in the hold."""
