"""Finding answers, in stages: read the question (question, vocabulary), see only what the asker may
(visible), gather candidates, score them (rerank), and decide `answered` (search); semantic adds the
question's meaning."""
