"""The queue engine: the hall's rules applied to tickets and windows, one transaction per action."""
