"""The legacy partner HTTP dialects (HI8D international, 企信通): request parsing and answers."""
