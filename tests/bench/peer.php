<?php
/*
 * tests/bench/peer.php: the raw PHP-FPM peer of tests/bench/routes.sh (docs/performance.md).
 *
 * What a plain PHP site does for a post: the post, its counts and its author from memcached,
 * else from MariaDB, each under a key of its own as Starling caches them (the post, then its
 * counts and author in one multi-get: the round trips of Starling's post/detail). It reads Starling's
 * tables on the right shard (the shard is inside the ID, lib/base/id.h; instances are spread over the
 * shards evenly, lib/store/shard.c) and answers Starling's envelope as JSON, or with ?page=1 a small
 * HTML page with its text escaped. No framework, persistent connections, as fast as PHP gets.
 *
 * Configuration from the FastCGI environment that routes.sh's php-fpm pool sets: PEER_MYSQL
 * ("host:port,host:port"), PEER_USER, PEER_PASSWORD, PEER_DATABASE (the shard databases'
 * prefix), PEER_SHARDS, PEER_MEMCACHED ("host:port,host:port"). Benchmark code, not part of
 * Starling: never installed.
 */

function answer($status, $code, $message, $data)
{
	http_response_code($status);
	header('Content-Type: application/json; charset=utf-8');
	echo json_encode(['code' => $code, 'message' => $message, 'data' => $data]);
	exit;
}

function cache()
{
	$mc = new Memcached('peer');
	if (!$mc->getServerList()) {
		foreach (explode(',', getenv('PEER_MEMCACHED')) as $s) {
			[$host, $port] = explode(':', trim($s));
			$mc->addServer($host, (int)$port);
		}
	}
	return $mc;
}

/* The connection to the instance of shard s (persistent: one per php-fpm child). */
function db_for($s)
{
	$instances = explode(',', getenv('PEER_MYSQL'));
	$i = intdiv($s * count($instances), (int)getenv('PEER_SHARDS'));
	[$host, $port] = explode(':', trim($instances[$i]));
	return new mysqli('p:' . $host, getenv('PEER_USER'), getenv('PEER_PASSWORD'), '', (int)$port);
}

function db_name($s)
{
	return sprintf('`%s_%04d`', getenv('PEER_DATABASE'), $s);
}

function shard_of($id)
{
	return ($id >> 12) & 1023;
}

/* One row of the shard's database, or null. */
function row($s, $sql, $id)
{
	$st = db_for($s)->prepare(str_replace('{db}', db_name($s), $sql));
	$st->bind_param('i', $id);
	$st->execute();
	return $st->get_result()->fetch_assoc();
}

$raw = $_GET['post_id'] ?? '';
if (!preg_match('/^[1-9][0-9]{0,18}$/', $raw))
	answer(400, 40004, 'post_id: a post ID', null);
$id = (int)$raw;
$s = shard_of($id);
$mc = cache();
/* The three pieces Starling caches apart, because they change apart: the post, then its counts
 * and its author together (one multi-get), each loaded from its table on a miss. */
$post = $mc->get("peer:post:$id");
if ($post === false) {
	$post = row($s, 'SELECT user_id, content_text, created_at FROM {db}.tb_post WHERE id = ? ' .
	    'AND is_deleted = 0', $id);
	$mc->set("peer:post:$id", $post, 3600);
}
if ($post === null)
	answer(404, 40400, 'not found', null);
$uid = (int)$post['user_id'];
$got = $mc->getMulti(["peer:postx:$id", "peer:user:$uid"]) ?: [];
$counts = $got["peer:postx:$id"] ?? null;
if ($counts === null) {
	$counts = row($s, 'SELECT count_comments, count_likes, count_reposts, count_quote FROM ' .
	    '{db}.tb_post_extended WHERE post_id = ?', $id);
	$mc->set("peer:postx:$id", $counts, 60);
}
$author = $got["peer:user:$uid"] ?? null;
if ($author === null) {
	$author = row(shard_of($uid), 'SELECT username, display_name, avatar_url FROM {db}.tb_user ' .
	    'WHERE id = ?', $uid);
	$mc->set("peer:user:$uid", $author, 3600);
}
$view = [
	'id' => (string)$id, 'authorId' => (string)$uid, 'contentText' => $post['content_text'],
	'createdAt' => (int)$post['created_at'],
	'counts' => ['replies' => (int)($counts['count_comments'] ?? 0),
	    'likes' => (int)($counts['count_likes'] ?? 0),
	    'reposts' => (int)($counts['count_reposts'] ?? 0),
	    'quotes' => (int)($counts['count_quote'] ?? 0)],
	'author' => $author === null ? null : ['username' => $author['username'],
	    'displayName' => $author['display_name'], 'avatarUrl' => $author['avatar_url']],
];
if (!isset($_GET['page']))
	answer(200, 0, 'ok', $view);
header('Content-Type: text/html; charset=utf-8');
$h = fn($s) => htmlspecialchars((string)$s, ENT_QUOTES | ENT_HTML5, 'UTF-8');
$name = $view['author'] ? $view['author']['displayName'] ?: $view['author']['username'] : '';
?>
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title><?= $h($name) ?> on Starling</title></head>
<body><main><article><h1><?= $h($name) ?></h1><p><?= $h($view['contentText']) ?></p>
<p><?= $h($view['counts']['likes']) ?> likes, <?= $h($view['counts']['reposts']) ?> reposts,
<?= $h($view['counts']['replies']) ?> replies</p></article></main></body></html>
