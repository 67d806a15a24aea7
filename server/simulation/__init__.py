"""Simulated citizens and staff following the hall's workload model (traffic_profile.toml)."""
