"""County statistics: counters the recording pipeline keeps, their rebuild, queries and monthly reports."""
