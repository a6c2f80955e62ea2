"""The dashboard: server-rendered HTML pages with inline SVG charts and a CSV download per chart.

No JavaScript and no third-party front-end library: every page is complete
HTML from the collector, so it works offline, behind any proxy, and in a
browser test that reads the very figures on screen.
"""
