"""Police units: the city department, corps, bureaus, branches and stations."""
