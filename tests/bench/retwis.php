<?php
/*
 * tests/bench/retwis.php: the retwis-shaped peer of tests/bench/routes.sh (docs/performance.md).
 *
 * Retwis is Redis's example Twitter clone in PHP: the peer issue [G1] measured Starling's home
 * page against. It is not a Debian package, so the benchmark runs this page instead, built the
 * way retwis builds its home page, on Starling's own data copied into Redis (Debian's
 * redis-server and php-redis):
 *
 *   - the auth cookie is looked up (HGET auths SECRET, then HGET user:ID auth and username);
 *   - the followers and following counts (ZCARD followers:ID, ZCARD following:ID);
 *   - the user's timeline list, which retwis fills on each post by pushing the post's ID to the
 *     author's and every follower's list (LRANGE posts:ID 0 N);
 *   - each post (HGETALL post:PID) and its author's name (HGET user:UID username), one command
 *     after another, as retwis does;
 *   - an HTML page with every field escaped.
 *
 * It shows the same 20 posts a page as Starling's home page (retwis itself shows 10). One
 * persistent Redis connection per php-fpm child. Benchmark code, not part of Starling: never
 * installed.
 *
 * Two modes:
 *   php-fpm (web):  GET /peer/home.php with "Cookie: auth=SECRET" (env PEER_REDIS host:port)
 *   CLI (loader):   php retwis.php load   copies users, follows and posts from Starling's shard
 *                   databases (env PEER_MYSQL, PEER_USER, PEER_PASSWORD, PEER_DATABASE,
 *                   PEER_SHARDS, PEER_REDIS, as peer.php) into Redis, after a FLUSHDB, so it is
 *                   safe to run twice. SECRET of a user is retwis_secret(ID).
 */

const PAGE = 20;

function retwis_secret($id)
{
	return sha1("retwis-bench:$id");
}

function redis_conn()
{
	[$host, $port] = explode(':', getenv('PEER_REDIS'));
	$r = new Redis();
	$r->pconnect($host, (int)$port);
	return $r;
}

/* --- the loader ------------------------------------------------------------------------------ */

/* Every row of SQL over every shard database (SQL names its database {db}). */
function all_rows($sql)
{
	$instances = explode(',', getenv('PEER_MYSQL'));
	$shards = (int)getenv('PEER_SHARDS');
	$out = [];
	for ($s = 0; $s < $shards; $s++) {
		[$host, $port] = explode(':', trim($instances[intdiv($s * count($instances), $shards)]));
		$db = new mysqli($host, getenv('PEER_USER'), getenv('PEER_PASSWORD'), '', (int)$port);
		$name = sprintf('`%s_%04d`', getenv('PEER_DATABASE'), $s);
		$res = $db->query(str_replace('{db}', $name, $sql));
		while ($row = $res->fetch_row())
			$out[] = $row;
		$db->close();
	}
	return $out;
}

function load()
{
	$r = redis_conn();
	$r->flushDB();
	$users = all_rows('SELECT id, username FROM {db}.tb_user');
	$follows = all_rows('SELECT user_id, target_user, created_at FROM {db}.tb_user_relationship ' .
	    'WHERE status_follow = 1');
	$posts = all_rows('SELECT id, user_id, content_text, created_at FROM {db}.tb_post ' .
	    'WHERE is_deleted = 0 AND post_type = 0');
	$p = $r->multi(Redis::PIPELINE);
	foreach ($users as [$id, $name]) {
		$secret = retwis_secret($id);
		$p->hMSet("user:$id", ['username' => $name, 'auth' => $secret]);
		$p->hSet('users', $name, $id);
		$p->hSet('auths', $secret, $id);
	}
	$followers = [];
	foreach ($follows as [$u, $t, $at]) {
		$p->zAdd("followers:$t", (int)$at, $u);
		$p->zAdd("following:$u", (int)$at, $t);
		$followers[$t][] = $u;
	}
	/* Oldest first, as they were posted: each ID pushed to the author's and followers' lists. */
	usort($posts, fn($a, $b) => $a[0] <=> $b[0]);
	foreach ($posts as [$id, $uid, $text, $at]) {
		$p->hMSet("post:$id", ['user_id' => $uid, 'time' => $at, 'body' => $text]);
		$p->lPush("posts:$uid", $id);
		foreach ($followers[$uid] ?? [] as $f)
			$p->lPush("posts:$f", $id);
	}
	$p->exec();
	printf("retwis peer: %d users, %d follows, %d posts in Redis\n", count($users),
	    count($follows), count($posts));
}

if (PHP_SAPI === 'cli') {
	if (($argv[1] ?? '') !== 'load') {
		fwrite(STDERR, "usage: php retwis.php load\n");
		exit(2);
	}
	load();
	exit(0);
}

/* --- the home page --------------------------------------------------------------------------- */

function elapsed($t)
{
	$d = time() - (int)$t;
	if ($d < 60)
		return "$d seconds";
	if ($d < 3600)
		return intdiv($d, 60) . ' minutes';
	if ($d < 86400)
		return intdiv($d, 3600) . ' hours';
	return intdiv($d, 86400) . ' days';
}

$r = redis_conn();
$secret = $_COOKIE['auth'] ?? '';
$uid = $secret === '' ? false : $r->hGet('auths', $secret);
if ($uid === false || $r->hGet("user:$uid", 'auth') !== $secret) {
	header('Location: /peer/login.php', true, 302);
	exit;
}
$me = $r->hGet("user:$uid", 'username');
$nfollowers = $r->zCard("followers:$uid");
$nfollowing = $r->zCard("following:$uid");
$ids = $r->lRange("posts:$uid", 0, PAGE);
$h = fn($s) => htmlspecialchars((string)$s, ENT_QUOTES | ENT_HTML5, 'UTF-8');
header('Content-Type: text/html; charset=utf-8');
?>
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Retwis - home</title></head>
<body><header><a href="/peer/home.php">home</a> <a href="/peer/timeline.php">timeline</a>
<a href="/peer/logout.php">logout</a></header>
<main><h1><?= $h($me) ?></h1>
<p><?= (int)$nfollowers ?> followers, <?= (int)$nfollowing ?> following</p>
<form method="post" action="/peer/post.php"><textarea name="status"></textarea>
<button>Update</button></form>
<?php
foreach (array_slice($ids, 0, PAGE) as $pid) {
	$post = $r->hGetAll("post:$pid");
	if (!$post)
		continue;
	$author = $r->hGet("user:{$post['user_id']}", 'username');
	echo '<div class="post"><a class="username" href="/peer/profile.php?u=', $h(urlencode($author)),
	    '">', $h($author), '</a> ', $h($post['body']), '<br><i>posted ', elapsed($post['time']),
	    " ago</i></div>\n";
}
if (count($ids) > PAGE)
	echo "<a href=\"/peer/home.php?start=" . PAGE . "\">Older posts &raquo;</a>\n";
?>
</main></body></html>
