DROP TABLE votes;
DROP TABLE poll_options;
DROP TABLE polls;
