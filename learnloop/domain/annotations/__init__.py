"""The annotation workflow: claims and leases, annotations and decisions, curation, the queue
policy, the rules an annotation must meet, annotator statistics and visibility."""
