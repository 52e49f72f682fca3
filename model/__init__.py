"""shardcheck's model of how AWS Lambda consumes Kinesis and DynamoDB streams.

The package is the single source of truth for the retry rules: configuration, records
and events, handler behaviour, the transition function and the simulator all live here,
and every checker in ``checks`` reads them instead of restating them.
"""
