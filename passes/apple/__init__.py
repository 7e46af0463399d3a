"""Apple Wallet: the signed .pkpass, the PassKit web service Wallet calls, APNs pushes."""
