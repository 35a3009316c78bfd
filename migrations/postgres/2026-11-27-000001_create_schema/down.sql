DROP TABLE votes;
DROP TABLE poll_options;
DROP TABLE polls;
DROP TABLE tasks;
DROP TABLE memberships;
DROP TABLE events;
DROP TABLE sessions;
DROP TABLE users;
