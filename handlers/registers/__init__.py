"""The registers the market-access operators keep (ledgers, archive, notices, circulars, the credit outbox)
and the counters that number them; web pages read them from here."""
