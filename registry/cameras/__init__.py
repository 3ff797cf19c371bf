"""Cameras of a filing: their GB/T 28181 codes and their place on the deployment map."""
