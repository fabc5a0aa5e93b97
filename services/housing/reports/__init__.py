"""Reports of the housing service rendered for people (HTML to print, xlsx)."""
