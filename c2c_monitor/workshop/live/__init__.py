"""The live workshop server's parts: the durable journal, the round's state, security helpers, page models."""
