"""演示 (demo): the demonstration office, built entirely through the services."""
