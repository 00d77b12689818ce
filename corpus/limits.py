"""Caps on what the engine accepts. Each has a user-facing message where it is enforced."""

MAX_QUESTION_CHARS = 1_000          # a chat question; longer input is refused, not truncated
MAX_ARTICLE_BYTES = 5_000_000       # raw bytes of a file, page or pasted text
MAX_PARAGRAPHS = 2_000              # paragraphs in one article
MAX_PARAGRAPH_CHARS = 20_000        # longer paragraphs are split at sentence boundaries
MAX_TITLE_CHARS = 300
MAX_RESULTS = 50                    # --limit / page size ceiling
