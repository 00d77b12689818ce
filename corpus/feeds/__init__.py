"""Following news feeds: a scope's archive fills itself from RSS, Atom and JSON feeds (issue 21).

    parse     feed bytes to entries (feedparser; JSON Feed), hostile XML defused
    markup    HTML in feeds to plain text; a page's links to its feeds (autodiscovery)
    links     entry links: http(s) only, compared without tracking parameters
    fetching  a feed through corpus/reading/fetch.py, with conditional GET
    schedule  when a feed is checked next; one request at a time per host
    records   the feeds and the entries they have seen, in the scope's own file
    poll      a check: fetch, parse, read each new entry's page, store, say what is new
    local     where the command line runs those steps; bot/feeds.py is the bot's
    cli       ``articlebot feed add|list|remove|poll``
"""
