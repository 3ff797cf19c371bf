"""Site-network discovery of ONVIF cameras and reconciliation; no database."""
