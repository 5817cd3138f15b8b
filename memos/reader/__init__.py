"""MemReader: conversations -> memory cubes (docs/READER.md).

`MemOS.ingest(messages, scope, session_id=...)` is the entry point; `rules` extracts facts
offline, `llm` through any OpenAI-compatible endpoint, `dates` resolves relative dates,
`questions` maps questions to the canonical form the model answers.
"""
