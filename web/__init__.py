"""Zhunru's outer layer: command line, Flask app, JSON API and pages."""
