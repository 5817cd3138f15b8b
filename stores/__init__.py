"""memos.stores — SQL schema and repository, FAISS and full-text indexes, graph, blob store."""
