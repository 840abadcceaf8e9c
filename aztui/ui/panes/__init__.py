"""The three panes (Containers, Registry, Cache) and the base they share."""
