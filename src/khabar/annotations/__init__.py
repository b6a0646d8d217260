"""Annotations: what people labelled, and what khabar makes of it.

format (Label Studio task/result JSON <-> regions) -> validate (one annotation against its task)
-> coding (whose annotation is which) -> decision (the rules that pick a task's one version) ->
agreement (between annotators) and adjudication (the reviewer's proposal); gold (the gold files)
and reanchor (moving gold onto re-cleaned text).
"""
