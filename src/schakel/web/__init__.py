"""The site shell: base layout, language switch, health endpoint, request ids, logging."""
