namespace Aml.Orleans.Grains.Book;

/// <summary>
/// The rows a book changed since its previous delta: the newest state of each changed row and the ids of the rows
/// removed, covering every change numbered up to <see cref="Sequence"/>. One delta is one flush.
/// </summary>
/// <param name="Upserts">Rows to insert or overwrite, each id once.</param>
/// <param name="Deletes">Ids to delete, none of them among <paramref name="Upserts"/>.</param>
/// <param name="Sequence">The book's change number when the delta was taken.</param>
public sealed record BookDelta(BookRow[] Upserts, PositionKey[] Deletes, long Sequence)
{
    /// <summary>True when the delta writes nothing.</summary>
    public bool IsEmpty => Upserts.Length == 0 && Deletes.Length == 0;
}
