"""Reading articles: fetching pages safely, their provenance, cleaning page junk, text into words and
stems, each article's language, who said what, and whole files or many of them at once."""
