import type { ApiToken, EnrollmentToken } from '@corral/client';
import { useEffect, useState } from 'preact/hooks';
import { client, messageOf } from '../api';
import { Confirm } from '../components/dialog';
import { notify } from '../components/notices';
import { SimpleTable } from '../components/simple-table';
import { formatTime } from '../lib/format';

function Secret(props: { secret: string; what: string; onDone: () => void }) {
  return (
    <div class="card secret" role="alert">
      <p>The new {props.what} is shown this once. Copy it now:</p>
      <code>{props.secret}</code>
      <button type="button" onClick={props.onDone}>
        I have copied it
      </button>
    </div>
  );
}

export function TokensPage() {
  const [items, setItems] = useState<ApiToken[]>([]);
  const [name, setName] = useState('');
  const [role, setRole] = useState('viewer');
  const [days, setDays] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const load = () =>
    client.tokens().then(
      (r) => setItems(r.items),
      (err) => notify(messageOf(err), 'error'),
    );
  useEffect(() => void load(), []);
  return (
    <div class="page">
      <h1>API tokens</h1>
      {secret ? <Secret secret={secret} what="token" onDone={() => setSecret(null)} /> : null}
      <form
        class="filters"
        aria-label="New API token"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            const made = await client.createToken({
              name: name.trim(),
              role,
              ...(days.trim() ? { expiresInSeconds: Math.round(Number(days) * 86400) } : {}),
            });
            setSecret(made.secret);
            setName('');
            void load();
          } catch (err) {
            notify(messageOf(err), 'error');
          }
        }}
      >
        <div>
          <label for="tok-name">Name</label>
          <input id="tok-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        </div>
        <div>
          <label for="tok-role">Role</label>
          <select id="tok-role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            <option value="viewer">viewer</option>
            <option value="operator">operator</option>
            <option value="admin">admin</option>
          </select>
        </div>
        <div>
          <label for="tok-days">Expires in days (empty: never)</label>
          <input id="tok-days" type="number" min={1} value={days} onInput={(e) => setDays(e.currentTarget.value)} />
        </div>
        <div class="filter-buttons">
          <button type="submit" class="primary">
            Make token
          </button>
        </div>
      </form>
      <SimpleTable
        caption="API tokens"
        rows={items}
        columns={[
          { label: 'Name', cell: (t) => t.name },
          { label: 'Role', cell: (t) => t.role },
          { label: 'Prefix', cell: (t) => t.prefix },
          { label: 'Last used', cell: (t) => formatTime(t.lastUsedAt) },
          { label: 'Expires', cell: (t) => formatTime(t.expiresAt) },
          { label: 'Revoked', cell: (t) => formatTime(t.revokedAt) },
          {
            label: 'Actions',
            cell: (t) =>
              t.revokedAt ? (
                '—'
              ) : (
                <button type="button" class="danger" aria-label={`Revoke ${t.name}`} onClick={() => setRevoking(t)}>
                  Revoke
                </button>
              ),
          },
        ]}
      />
      {revoking ? (
        <Confirm
          title={`Revoke ${revoking.name}?`}
          message="Every request and every web session made with it is refused from now on."
          confirmLabel="Revoke"
          onConfirm={() =>
            void client.revokeToken(revoking.id).then(
              () => load(),
              (err) => notify(messageOf(err), 'error'),
            )
          }
          onClose={() => setRevoking(null)}
        />
      ) : null}
    </div>
  );
}

export function EnrollmentTokensPage() {
  const [items, setItems] = useState<EnrollmentToken[]>([]);
  const [name, setName] = useState('');
  const [uses, setUses] = useState('1');
  const [hours, setHours] = useState('1');
  const [takeover, setTakeover] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<EnrollmentToken | null>(null);
  const load = () =>
    client.enrollmentTokens().then(
      (r) => setItems(r.items),
      (err) => notify(messageOf(err), 'error'),
    );
  useEffect(() => void load(), []);
  return (
    <div class="page">
      <h1>Enrollment tokens</h1>
      {secret ? <Secret secret={secret} what="enrollment token" onDone={() => setSecret(null)} /> : null}
      <form
        class="filters"
        aria-label="New enrollment token"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            const made = await client.createEnrollmentToken({
              ...(name.trim() ? { name: name.trim() } : {}),
              maxUses: Number(uses) || 1,
              expiresInSeconds: Math.round((Number(hours) || 1) * 3600),
              allowTakeover: takeover,
            });
            setSecret(made.secret);
            void load();
          } catch (err) {
            notify(messageOf(err), 'error');
          }
        }}
      >
        <div>
          <label for="enr-name">Name</label>
          <input id="enr-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div>
          <label for="enr-uses">Uses</label>
          <input id="enr-uses" type="number" min={1} value={uses} onInput={(e) => setUses(e.currentTarget.value)} />
        </div>
        <div>
          <label for="enr-hours">Expires in hours</label>
          <input
            id="enr-hours"
            type="number"
            min={0.1}
            step="0.1"
            value={hours}
            onInput={(e) => setHours(e.currentTarget.value)}
          />
        </div>
        <div class="check">
          <input
            id="enr-takeover"
            type="checkbox"
            checked={takeover}
            onChange={(e) => setTakeover(e.currentTarget.checked)}
          />
          <label for="enr-takeover">Allow takeover</label>
        </div>
        <div class="filter-buttons">
          <button type="submit" class="primary">
            Make enrollment token
          </button>
        </div>
      </form>
      <SimpleTable
        caption="Enrollment tokens"
        rows={items}
        columns={[
          { label: 'Name', cell: (t) => t.name ?? '—' },
          { label: 'Prefix', cell: (t) => t.prefix },
          { label: 'Uses', cell: (t) => `${t.uses} / ${t.maxUses}` },
          { label: 'Takeover', cell: (t) => (t.allowTakeover ? 'yes' : 'no') },
          { label: 'Expires', cell: (t) => formatTime(t.expiresAt) },
          { label: 'Revoked', cell: (t) => formatTime(t.revokedAt) },
          {
            label: 'Actions',
            cell: (t) =>
              t.revokedAt ? (
                '—'
              ) : (
                <button
                  type="button"
                  class="danger"
                  aria-label={`Revoke ${t.name ?? t.prefix}`}
                  onClick={() => setRevoking(t)}
                >
                  Revoke
                </button>
              ),
          },
        ]}
      />
      {revoking ? (
        <Confirm
          title={`Revoke ${revoking.name ?? revoking.prefix}?`}
          message="Agents can no longer enroll with it; hosts already enrolled keep their credentials."
          confirmLabel="Revoke"
          onConfirm={() =>
            void client.revokeEnrollmentToken(revoking.id).then(
              () => load(),
              (err) => notify(messageOf(err), 'error'),
            )
          }
          onClose={() => setRevoking(null)}
        />
      ) : null}
    </div>
  );
}
