"""Site scans kept against their operator and filing, reconciled with what was filed."""
