/**
 * The baseline of the gateway bench: the least a Fastify + pg handler can do for the same
 * three requests (no auth, no query language, no envelope). Run as its own process.
 */
import Fastify from 'fastify';
import pg from 'pg';

const [table = 'mobo_bench_items', portArg = '0', url = 'postgres://postgres@127.0.0.1:5432/test'] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: url, max: 10 });
const app = Fastify({ logger: false });

app.get<{ Params: { id: string } }>('/items/:id', async (req, reply) => {
  const { rows } = await pool.query(`select * from ${table} where id = $1`, [Number(req.params.id)]);
  if (rows.length === 0) return reply.code(404).send({ error: 'not found' });
  return rows[0];
});
app.get<{ Querystring: { min?: string } }>('/items', async (req) => {
  const { rows } = await pool.query(`select id, name, price from ${table} where price >= $1 order by id limit 20`, [Number(req.query.min ?? 0)]);
  return rows;
});
app.post<{ Body: { name: string; price: number } }>('/items', async (req, reply) => {
  const { rows } = await pool.query(`insert into ${table} (name, price) values ($1, $2) returning *`, [req.body.name, req.body.price]);
  return reply.code(201).send(rows[0]);
});

const address = await app.listen({ host: '127.0.0.1', port: Number(portArg) });
process.stdout.write(`LISTENING ${address}\n`);
process.on('SIGTERM', () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
