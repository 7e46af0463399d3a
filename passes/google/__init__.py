"""Google Wallet: the LoyaltyClass and LoyaltyObjects, the save link, PATCHes on change."""
